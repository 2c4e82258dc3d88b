"""Penunggalan engine: plain Python + numpy, no Django."""
