#!/bin/bash
# Emit the REQUESTS table rows from src/core/proto.c and the binary's help.
V=${VHUCTL:?}; P=src/core/proto.c
declare -A cmd
while IFS=$'\t' read -r n s; do
  l=$($V -c "help '$n' format=text" | sed -n 's/^Sends VHOST_USER_\([A-Z0-9_]*\) (front-end request \([0-9]*\)).*/\2/p')
  [ -n "$l" ] && cmd[$l]=$n
done < <($V --list-commands)
sed -nE 's/^[[:space:]]*\{ *([0-9]+), *"([A-Z0-9_]+)",.*SIDE_(FRONTEND|BACKEND),.*(REPLY_[A-Z_]+),.*/\3 \1 \2 \4/p' $P |
while read -r side num name reply; do
  case $reply in REPLY_ALWAYS) r=always;; REPLY_ACK_ONLY) r=ack;; REPLY_IF_LOG_SHMFD) r="LOG_SHMFD";; *) r=?;; esac
  c=
  [ $side = FRONTEND ] && c=$'\t'"\\fB$(sed 's/-/\\-/g' <<<"${cmd[$num]}")\\fR"
  printf '%s\t%s\t%s\t%s%s\n' "$side" "$num" "VHOST_USER_$name" "$r$c"
done
