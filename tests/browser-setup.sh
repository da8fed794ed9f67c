#!/bin/sh
# The one apt step of the test command: Debian's chromium for the browser tests (Playwright drives it
# by its executable path; Playwright never downloads a browser of its own here). A no-op when present.
set -e
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
