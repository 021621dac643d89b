FROM ruby:3.2
RUN apt-get update -qq && apt-get install -y nodejs postgresql-client
RUN useradd -m app
WORKDIR /app
COPY Gemfile Gemfile.lock ./
RUN bundle install
COPY . .
RUN chown -R app:app /app && chmod -R 755 /app
USER app
CMD ["rails", "server", "-b", "0.0.0.0"]
