#!/usr/bin/env bash
# Fetches the prebuilt GraphiQL bundle served at /graphiql, with its licences,
# from the npm registry at pinned versions, and checks every file against
# SHA256SUMS. The files are checked in: the build never reaches the network.
#
#   bash crates/site/assets/graphiql/fetch.sh          # fetch and verify
#   bash crates/site/assets/graphiql/fetch.sh --update # fetch and rewrite SHA256SUMS
#
# GraphiQL 3 is the last line published with a UMD build (later lines are
# ES modules for a bundler); it needs React 18.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# package@version  file-in-package  served-name
files=(
  "graphiql@3.9.0 graphiql.min.js graphiql.min.js"
  "graphiql@3.9.0 graphiql.min.css graphiql.min.css"
  "graphiql@3.9.0 LICENSE LICENSE-graphiql"
  "react@18.3.1 umd/react.production.min.js react.production.min.js"
  "react@18.3.1 LICENSE LICENSE-react"
  "react-dom@18.3.1 umd/react-dom.production.min.js react-dom.production.min.js"
  "react-dom@18.3.1 LICENSE LICENSE-react-dom"
  "graphql-ws@5.16.2 umd/graphql-ws.min.js graphql-ws.min.js"
  "graphql-ws@5.16.2 LICENSE.md LICENSE-graphql-ws"
)

for entry in "${files[@]}"; do
  read -r package inner served <<<"$entry"
  dir="$work/${package//[@\/]/_}"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    # npm checks the tarball against the registry's integrity hash.
    (cd "$dir" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
  fi
  cp "$dir/package/$inner" "$here/$served"
done

cd "$here"
if [ "${1:-}" = "--update" ]; then
  sha256sum $(for e in "${files[@]}"; do read -r _ _ s <<<"$e"; echo "$s"; done) >SHA256SUMS
fi
sha256sum --check --quiet SHA256SUMS
echo "GraphiQL bundle fetched and verified in $here"
