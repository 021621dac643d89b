FROM alpine
FOO bar
RUNN echo
12345
--flag
