# syntax=docker/dockerfile:1.4
FROM debian:bookworm
RUN <<EOF
set -e
apt-get update
apt-get install -y ca-certificates
rm -rf /var/lib/apt/lists/*
EOF
COPY <<-"CONF" /etc/app.conf
	listen 8080
	workers 4
	CONF
RUN <<one cat > /a && <<two cat > /b
first
one
second
two
RUN python3 <<PY
print("hello")
PY
