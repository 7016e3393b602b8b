#!/usr/bin/env bash
# Set up the forecasting peers, each in its own environment, never as opslib dependencies:
#   * R's forecast package (Debian r-cran-forecast, installed with apt when `library(forecast)` fails);
#   * statsforecast in benchmarks/forecast_peers/.venv (pinned below).
# Idempotent: when both are already there it only checks them (a second or so).
# Usage: bash benchmarks/forecast_peers/setup_peers.sh [--no-r] [--no-statsforecast]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STATSFORECAST_VERSION="2.1.1"
PYTHON="${PYTHON:-python3}"
want_r=1
want_sf=1
for arg in "$@"; do
  case "$arg" in
    --no-r) want_r=0 ;;
    --no-statsforecast) want_sf=0 ;;
    *) echo "setup_peers.sh: unknown option $arg (use --no-r, --no-statsforecast)" >&2; exit 2 ;;
  esac
done

if [ "$want_r" = 1 ]; then
  if command -v Rscript >/dev/null 2>&1 && Rscript -e 'suppressMessages(library(forecast))' >/dev/null 2>&1; then
    echo "R forecast: present ($(Rscript -e 'cat(as.character(packageVersion("forecast")))' 2>/dev/null))"
  else
    echo "R forecast: missing, installing Debian r-cran-forecast with apt"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      r-base-core r-cran-forecast >/dev/null
    Rscript -e 'suppressMessages(library(forecast)); cat("R forecast:", as.character(packageVersion("forecast")), "\n")'
  fi
fi

if [ "$want_sf" = 1 ]; then
  stamp="$VENV/.statsforecast-$STATSFORECAST_VERSION"
  if [ -f "$stamp" ] && "$VENV/bin/python" -c 'import statsforecast' >/dev/null 2>&1; then
    echo "statsforecast: present ($STATSFORECAST_VERSION in $VENV)"
  else
    echo "statsforecast: creating $VENV with statsforecast==$STATSFORECAST_VERSION"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "statsforecast==$STATSFORECAST_VERSION" pandas
    touch "$stamp"
    "$VENV/bin/python" -c 'import statsforecast; print("statsforecast:", statsforecast.__version__)'
  fi
fi
