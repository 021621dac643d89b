FROM alpine
CMD ["a", 
RUN ["sh", 1]
COPY ["a" "b"]
