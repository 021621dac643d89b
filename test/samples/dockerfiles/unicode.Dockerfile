FROM alpine
LABEL description="Ünïcødé 😀 テスト"
RUN echo "😀" > /emoji
COPY ファイル /データ
