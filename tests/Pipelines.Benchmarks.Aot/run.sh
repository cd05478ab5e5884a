#!/usr/bin/env bash
# The AOT rows of docs/performance.md: one training step as a JIT app and as Native AOT binaries published for the
# baseline x64 instruction set (what an app gets by default), for x86-64-v3 (AVX2 + FMA) and for the build machine.
# Needs only the .NET SDK (the AOT compiler comes from NuGet) and a C linker (gcc or clang).
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build -c Release -v q -nologo >/dev/null
for set in baseline x86-64-v3 native; do
    property=$([ "$set" = baseline ] && echo "" || echo "-p:IlcInstructionSet=$set")
    dotnet publish -c Release -r linux-x64 -p:PublishAot=true $property -o "$out/$set" -v q -nologo >/dev/null
done
dotnet bin/Release/net10.0/Pipelines.Benchmarks.Aot.dll "JIT"
for set in baseline x86-64-v3 native; do
    "$out/$set/Pipelines.Benchmarks.Aot" "AOT $set"
done
