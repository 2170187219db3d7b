#!/usr/bin/env bash
# Installs the Debian packages the app and its tests need, where they are missing:
#   chromium         browser tests (Playwright drives Debian's /usr/bin/chromium)
#   fonts-noto-cjk   Chinese text in the browser and in PDFs (Noto Sans CJK SC)
#   poppler-utils    pdftotext / pdffonts, used by the PDF tests
#   postgresql-client  pg_dump / pg_restore for `flask backup` on PostgreSQL
#   libpango-1.0-0, libpangoft2-1.0-0  the text layout WeasyPrint renders PDFs with
#   libharfbuzz-subset0  the font subsetting WeasyPrint embeds Chinese fonts with (without
#                    it WeasyPrint warns, and the suite treats warnings as errors)
#   libcairo2        CairoSVG draws the packs' SVG charts as PNG images for Word files
#   libreoffice-writer-nogui  the tests open the generated Word files with LibreOffice
#                    (headless) as a second reader, the way WPS and Word users will
#   slapd, ldap-utils  the directory sign-in tests start a real OpenLDAP server (slapd,
#                    its modules in /usr/lib/ldap) and load it with slapadd
#   wrk              the bench's mixed load; a test runs its Lua script for a second
# Installing needs root and apt-get; without them it says what to install and stops.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Listings are read whole before grep: with pipefail, `grep -q` closing the pipe early
# would fail the listing (SIGPIPE) and report a package as missing that is there.
fonts=$(fc-list : family 2>/dev/null || true)
grep -q "Noto Sans CJK" <<<"$fonts" || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
libraries=$(/sbin/ldconfig -p 2>/dev/null || true)
grep -q 'libpangoft2-1.0.so' <<<"$libraries" || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
grep -q 'libharfbuzz-subset.so' <<<"$libraries" || missing+=(libharfbuzz-subset0)
grep -q 'libcairo.so.2' <<<"$libraries" || missing+=(libcairo2)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
[ -x /usr/sbin/slapd ] || command -v slapd >/dev/null 2>&1 || missing+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || missing+=(ldap-utils)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
