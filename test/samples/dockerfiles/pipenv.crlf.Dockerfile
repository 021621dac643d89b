FROM python:3.10
RUN pip install --no-cache-dir pipenv
COPY . /app
WORKDIR /app
RUN pipenv install --system --deploy
