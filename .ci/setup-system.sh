#!/usr/bin/env bash
# System packages layerc's tests need: a Vulkan loader + software drivers for WebGPU (Dawn via the
# `webgpu` npm package), Debian chromium for the browser test, and Fashion-MNIST for training.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
  # bookworm's mesa 22.3 lavapipe is rejected by Dawn; the backports 25.x works (see DESIGN.md).
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  libvulkan1 chromium dataset-fashion-mnist fonts-dejavu-core >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  -t bookworm-backports mesa-vulkan-drivers >/dev/null || echo "warning: mesa-vulkan-drivers from backports not installed; WGSL tests fall back to SwiftShader"
