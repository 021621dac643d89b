#!/bin/sh
# How the recorded tar samples in this directory were made (GNU tar 1.34, zstd 1.5, as root for setcap).
# Re-run only to regenerate them; tests read the recorded files and do not need these tools.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p root/dir "root/$(printf 'sp ace')" root/deep
long=$(printf 'd%.0s' $(seq 1 60))
mkdir -p "root/deep/$long/$long/$long/$long/$long"
printf 'deep\n' > "root/deep/$long/$long/$long/$long/$long/file-with-a-long-name.txt"
printf 'hello\n' > root/dir/hello.txt
ln root/dir/hello.txt root/dir/hello-link
ln -s "../deep/$long/$long/$long/$long/$long/file-with-a-long-name.txt" root/dir/long-symlink
printf 'x' > "root/$(printf 'new\nline')"
printf 'z' > "root/sp ace/file name"
printf 'y' > "root/$(printf 'bad\351name')"
printf 'ping' > root/dir/ping
setcap cap_net_raw+ep root/dir/ping
chmod 4755 root/dir/hello.txt
touch -d @1700000000 root/dir/* root/*line root/bad* || true
tar --format=gnu --numeric-owner --owner=0 --group=0 --mtime=@1700000000 -C root -cf "$here/gnu-long.tar" .
tar --format=pax --xattrs --xattrs-include='*' --numeric-owner --owner=1000 --group=1000 --mtime=@1700000000 \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C root -cf "$here/pax-xattr.tar" .
zstd -q -19 -c "$here/pax-xattr.tar" > "$here/pax-xattr.tar.zst"
gzip -9 -n -c "$here/gnu-long.tar" > "$here/gnu-long.tar.gz"
# What GNU tar itself lists, the reference the unit tests compare against.
tar --numeric-owner -tvf "$here/gnu-long.tar" > "$here/gnu-long.listing"
tar --numeric-owner --xattrs -tvf "$here/pax-xattr.tar" > "$here/pax-xattr.listing"
getcap root/dir/ping > "$here/pax-xattr.getcap"
getfattr -d -m - -e hex root/dir/ping > "$here/pax-xattr.getfattr"
