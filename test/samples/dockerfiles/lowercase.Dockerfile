from alpine:3.19
run apk add curl
copy . /app
run chown -R nobody /app
cmd ["sh"]
