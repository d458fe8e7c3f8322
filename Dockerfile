# The unlockbot image: one static binary on distroless, run as a non-root user.
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) \
#     --build-arg DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t unlockbot .
# Distroless static rather than scratch: it ships CA certificates (LDAPS,
# Slack, Graph and PSA APIs are all TLS), tzdata, and a passwd entry for
# the nonroot user (65532), kept patched by its maintainers, and still has no
# shell or package manager. The root filesystem may be read-only: the bot
# writes only its audit file, which belongs on a volume
# (audit.file: /var/lib/unlockbot/audit.jsonl; the Helm chart mounts one).

# The build runs on the builder's own platform and cross-compiles.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE" -o /out/unlockbot ./cmd/unlockbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/unlockbot /unlockbot
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/unlockbot"]
CMD ["serve"]
