#!/usr/bin/env sh
# Set-up step of `make test`: Debian's chromium for the UI tests (Playwright's own browser download needs
# the open internet). Installs it with apt-get when running as root; otherwise says why the UI tests will
# skip. Never fails the build: without a browser those tests skip with the reason.
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no $CHROMIUM and no root apt-get to install it: the UI tests (tests/test_ui.py) will skip"
    exit 0
fi
echo "installing Debian's chromium for the UI tests (apt-get)"
export DEBIAN_FRONTEND=noninteractive
install="apt-get install -y -q --no-install-recommends chromium"
# A fresh machine has no package lists yet: update only when the install cannot find the package.
$install >/tmp/trustqa-apt.log 2>&1 || { apt-get update -q >>/tmp/trustqa-apt.log 2>&1 && $install >>/tmp/trustqa-apt.log 2>&1; }
[ -x "$CHROMIUM" ] || echo "note: apt-get could not install chromium (log: /tmp/trustqa-apt.log): the UI tests will skip"
exit 0
