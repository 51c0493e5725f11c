FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE ./
COPY watcher ./watcher
COPY seeds ./seeds
COPY baseline ./baseline
COPY config ./config
RUN pip install --no-cache-dir -U pip && pip install --no-cache-dir '.[postgres]'
ENV WATCHER_LOG_FORMAT=json
CMD ["watcher", "run"]
