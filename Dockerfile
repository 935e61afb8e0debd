# The Nightshift worker image (also carries the `nightshift` client).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY . .
ENV NODE_ENV=production
CMD ["node", "bin/worker.js"]
