#!/usr/bin/env bash
# Scaffolds a lib's package.json, tsconfig.build.json and project.json (boundary tags).
# usage: scripts/dev/mk-lib.sh NAME 'TAGS_JSON' 'DEPS_JSON' [REFERENCED_LIB...]
set -euo pipefail
name=$1 tags=$2 deps=$3; shift 3
dir="libs/$name"; mkdir -p "$dir/src"
cat > "$dir/package.json" <<JSON
{
  "name": "@touchstream/$name",
  "version": "0.1.0",
  "private": true,
  "main": "dist/index.js",
  "types": "dist/index.d.ts",
  "dependencies": $deps
}
JSON
refs=""; for r in "$@"; do refs="$refs{ \"path\": \"../$r/tsconfig.build.json\" }, "; done; refs="[${refs%, }]"
cat > "$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "composite": true,
    "rootDir": "src",
    "outDir": "dist",
    "tsBuildInfoFile": "dist/tsconfig.build.tsbuildinfo"
  },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts"],
  "references": $refs
}
JSON
cat > "$dir/project.json" <<JSON
{
  "name": "$name",
  "projectType": "library",
  "sourceRoot": "$dir/src",
  "tags": $tags
}
JSON
