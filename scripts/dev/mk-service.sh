#!/usr/bin/env bash
# Scaffolds a service's package.json, tsconfig.build.json and project.json (boundary tags).
# usage: scripts/dev/mk-service.sh NAME 'DEPS_JSON' [REFERENCED_LIB...]
set -euo pipefail
name=$1 deps=$2; shift 2
dir="services/$name"; mkdir -p "$dir/src"
cat > "$dir/package.json" <<JSON
{
  "name": "@touchstream/$name",
  "version": "0.1.0",
  "private": true,
  "main": "dist/main.js",
  "scripts": {
    "start": "node dist/main.js"
  },
  "dependencies": $deps
}
JSON
refs=""; for r in "$@"; do refs="$refs{ \"path\": \"../../libs/$r/tsconfig.build.json\" }, "; done; refs="[${refs%, }]"
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
  "projectType": "application",
  "sourceRoot": "$dir/src",
  "tags": ["type:service", "scope:$name"]
}
JSON
