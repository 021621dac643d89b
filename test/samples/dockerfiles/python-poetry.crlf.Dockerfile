FROM python:3.11
RUN pip install poetry==1.8.2
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN poetry install --no-root --no-interaction
COPY . .
RUN poetry install --no-interaction
