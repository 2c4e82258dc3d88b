#!/usr/bin/env bash
# Make Debian's Chromium (for the browser tests) and gettext (for compilemessages) present.
#
# Playwright's own browser download cannot work here (only package registries are reachable),
# so the tests drive /usr/bin/chromium from Debian. Never fails the build: without root or
# without the Debian mirror it says so and the browser tests skip with a clear message.
set -uo pipefail

if [[ -x /usr/bin/chromium ]] && command -v msgfmt > /dev/null; then
    exit 0
fi

if [[ "$(id -u)" != "0" ]] || ! command -v apt-get > /dev/null; then
    echo "ensure_chromium: /usr/bin/chromium or gettext is missing and this is not a root" \
         "Debian shell; install them with: apt-get install -y chromium gettext" \
         "(the browser tests will be skipped)" >&2
    exit 0
fi

echo "ensure_chromium: installing Debian's chromium and gettext (about a minute)"
if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium gettext; }
then
    echo "ensure_chromium: could not install chromium/gettext from the Debian mirror;" \
         "the browser tests will be skipped" >&2
fi
exit 0
