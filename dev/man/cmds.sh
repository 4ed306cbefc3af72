#!/bin/bash
# Emit man(7) COMMANDS entries from the binary's own help, grouped like 'help'.
V=${VHUCTL:?}
code() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/'/\\\\(aq/g"; }   # typed text
prose() { sed -e 's/\\/\\e/g' -e "s/^'/\\\\(aq/" -e 's/^\./\\\&./'; }
$V -c 'help format=text' | while IFS= read -r line; do
  case $line in
    [a-z]*:) g=${line%:}; case $g in requests) t=Request;; rings) t=Ring;; *) t=${g^};; esac; echo ".SS \"$t commands\""; [ "$g" = requests ] && echo "@REQINTRO@"; continue;;
    "  "*) ;;
    *) continue;;
  esac
  l=${line#  }; name=${l%%  *}
  help=$($V -c "help '$name' format=text")
  u=$(sed -n 's/^usage: //p' <<<"$help")
  isreq=0; grep -q '^Sends VHOST_USER_' <<<"$help" && isreq=1
  echo ".TP"
  printf '%s\n' "\\fB$(code <<<"$name")\\fR$(code <<<"${u#"$name"}")"
  # summary + description: lines 3.. until arguments:/example:
  desc=$(awk 'NR>2 && /^(arguments|example):$/ {exit} NR>2 && NF && !/^Spec: / {print}' <<<"$help")
  sed -n '1s/$/./p' <<<"$desc" | prose
  if [ "$(wc -l <<<"$desc")" -gt 1 ]; then echo .br; sed 1d <<<"$desc" | prose; fi
  if grep -q '^arguments:$' <<<"$help"; then
    args=$(awk '/^arguments:$/ {a=1; next} a && /^$/ {exit} a {print}' <<<"$help")
    out=
    while IFS= read -r al; do
      al=${al#  }; an=${al%% *}; ah=${al#"$an"}; ah=${ah#"${ah%%[! ]*}"}
      if [ $isreq = 1 ] && { [ "$an" = header-flags ] || [ "$an" = need-reply ] || [ "$an" = sync ]; }; then continue; fi
      out+=".IP \"\\fB$(code <<<"$an")\\fR\" 14"$'\n'"$(prose <<<"$ah")"$'\n'
    done <<<"$args"
    [ -n "$out" ] && printf '.RS\n%s.RE\n' "$out"
  fi
  if grep -q '^example:$' <<<"$help"; then
    ex=$(awk '/^example:$/ {a=1; next} a && /^$/ {exit} a {sub(/^  /, ""); print}' <<<"$help")
    printf '.IP\nExample:\n.br\n\\fB%s\\fR\n' "$(code <<<"$ex")"
  fi
done
