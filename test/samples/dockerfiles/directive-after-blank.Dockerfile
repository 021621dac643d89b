
# escape=`
FROM alpine
RUN echo \
  b
