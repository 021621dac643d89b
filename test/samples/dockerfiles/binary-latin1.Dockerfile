FROM alpine
LABEL x="café ÿþ"
