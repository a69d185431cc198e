#!/bin/bash
# Loads report.html of a tiny sweep and of one of its runs in headless Chromium and checks
# that each page renders its charts and table, logs no console error and makes no network
# request (Chromium's own net log lists every request it makes). Arguments: the hsnet
# binary; SCREENSHOT_DIR, when set, receives a PNG of each page. Exit 77 (skipped) without
# chromium or the Fashion-MNIST package.
set -u
hsnet="$1"
data=/usr/share/datasets/fashion-mnist
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "report browser check: SKIPPED (chromium not installed; scripts/setup.sh --tests)"
  exit 77
fi
if [ ! -d "$data" ]; then
  echo "report browser check: SKIPPED ($data not installed)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/spec.json" <<SPEC
{"base": {"model": "hs_resnet29_cifar", "dataset": "fashion-mnist", "epochs": 2, "batch_size": 16,
          "lr": 0.05, "schedule": "constant", "crop_padding": 0, "flip": false,
          "limit_train": 64, "limit_test": 64, "threads": 1},
 "grid": [{"model": ["resnet20_cifar"]}, {"model_options.w0": [1], "model_options.split": [[1, 3], [1, 1]]}],
 "out": "$work/sweep"}
SPEC
"$hsnet" sweep --config "$work/spec.json" --threads 1 > "$work/sweep.log" 2>&1 || {
  cat "$work/sweep.log"
  echo "report browser check: FAILED (the sweep did not finish)"
  exit 1
}

status=0
# check PAGE NAME TEXT...: PAGE must render with every TEXT in its DOM.
check() {
  local page="$1" name="$2"
  shift 2
  local profile
  profile=$(mktemp -d -p "$work")
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$profile" --enable-logging=stderr --v=0
    --log-net-log="$work/$name.netlog.json" --window-size=1400,2000)
  timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$page" > "$work/$name.dom" 2> "$work/$name.err"
  if [ ! -s "$work/$name.dom" ]; then
    echo "$name: FAILED (no DOM from chromium)"; tail -5 "$work/$name.err"; status=1; return
  fi
  for text in "$@"; do
    grep -q -- "$text" "$work/$name.dom" || { echo "$name: FAILED (no '$text' in the page)"; status=1; }
  done
  if grep -E "CONSOLE|Uncaught" "$work/$name.err"; then
    echo "$name: FAILED (console messages above)"; status=1
  fi
  # Every URL the browser's network stack saw, but the page itself and the requests Chromium
  # makes of its own accord at start-up (clock, component updates, accounts).
  local urls
  urls=$(grep -o '"url":"[a-z]*://[^"]*"' "$work/$name.netlog.json" | grep -v '"url":"file://' |
    grep -vE '"url":"https?://(clients2\.google\.com|update\.googleapis\.com|accounts\.google\.com)/' || true)
  if [ -n "$urls" ]; then
    echo "$name: FAILED (network requests:)"; echo "$urls" | sort -u | head; status=1
  fi
  if [ -n "${SCREENSHOT_DIR:-}" ]; then
    mkdir -p "$SCREENSHOT_DIR"
    timeout 120 "$browser" "${flags[@]}" --screenshot="$SCREENSHOT_DIR/$name.png" "file://$page" 2> /dev/null
  fi
  [ $status -eq 0 ] && echo "$name: ok"
}
# The check can fail: a page that fetches an image must be caught.
printf '<html><body><img src="https://example.com/x.png">x</body></html>' > "$work/fetches.html"
check "$work/fetches.html" control_page "x" > "$work/control.log"
if [ $status -eq 1 ] && grep -q "example.com" "$work/control.log"; then
  echo "control page: its network request was caught"
  status=0
else
  cat "$work/control.log"; echo "control page: FAILED (the request to example.com went unseen)"
  exit 1
fi
printf '<html><body><script>undefined_function()</script>x</body></html>' > "$work/throws.html"
check "$work/throws.html" control_script "x" > "$work/control.log"
if [ $status -eq 1 ] && grep -q "Uncaught ReferenceError" "$work/control.log"; then
  echo "control page: its script error was caught"
  status=0
else
  cat "$work/control.log"; echo "control page: FAILED (the script error went unseen)"
  exit 1
fi
check "$work/sweep/report.html" sweep_report "<svg" "Pareto front" "01-w01-split1_3-seed0" "Learning curves"
check "$work/sweep/trials/01-w01-split1_3-seed0/report.html" run_report "<svg" "confusion matrix" "Per step" "HSBlock"
exit $status
