"""Penunggalan engine: plain Python + numpy, no Django."""

import logging

# FAISS reports which CPU build it loaded at INFO on import; every command would print it.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)
