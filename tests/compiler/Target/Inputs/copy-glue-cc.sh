#!/bin/sh
# A C compiler for NNC_CC that first copies the glue nnc compiles
# (<model>_api.c) to $GLUE_COPY, then compiles as cc does.
for arg in "$@"; do
  case "$arg" in
  *_api.c) cp "$arg" "$GLUE_COPY" ;;
  esac
done
exec cc "$@"
