#!/usr/bin/env bash
# Packs the CLI (train, bench) into .device/ for a machine with a real GPU and no npm:
# single-file bundles, Dawn's node addon (xz) and, in case that machine has no Node, this
# machine's node binary (xz). Then, with the device tool:  run `bash .device/run.sh`
# carrying [".device"]. .device/ is git-ignored; run.sh is written by this script.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .device && mkdir -p .device/node_modules/webgpu/dist/linux-x64
npx esbuild src/cli/bench.ts src/cli/train.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outdir=.device --out-extension:.js=.mjs --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .device/node_modules/webgpu/
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .device/dawn.node.xz
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .device/node.xz
cp /usr/lib/x86_64-linux-gnu/libvulkan.so.1 .device/ 2>/dev/null || true
cat > .device/run.sh <<'RUN'
#!/bin/bash
# On the GPU machine: environment facts, then the benchmark of every method's presets.
cd "$(dirname "$0")"
nvidia-smi -L 2>&1 | head -3
if command -v node >/dev/null; then NODE=node; else xz -dc node.xz > node && chmod +x node && NODE=./node; fi
xz -dc dawn.node.xz > node_modules/webgpu/dist/linux-x64/dawn.node
ldconfig -p | grep -q libvulkan.so.1 || export LD_LIBRARY_PATH=$PWD
export SSL_USE_SYSTEM_VULKAN=1
for preset in default tiny; do
  timeout 150 $NODE bench.mjs --backend webgpu --preset $preset --steps 10 --warmup 3 --json 2>&1 | grep '^{'
done
RUN
chmod +x .device/run.sh
du -sh .device
