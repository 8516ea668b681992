# The base of the Containerfile's build stage when no registry can be reached:
# what the public Go image gives that stage (a shell with mkdir, chmod and cp,
# CA certificates, the Go environment), made from files of this machine.
# deploy/image/build.sh builds it from a context holding a static busybox and
# the host's CA bundle, then mounts the host's Go toolchain, module cache and
# build cache at the paths set here while the image builds, so nothing is
# downloaded and nothing is compiled twice.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN mkdir -p /tmp /usr/local/go /go/pkg/mod /root/.cache/go-build && chmod 1777 /tmp
ENV PATH=/usr/local/go/bin:/go/bin:/bin \
    HOME=/root \
    GOPATH=/go \
    GOMODCACHE=/go/pkg/mod \
    GOCACHE=/root/.cache/go-build \
    GOTOOLCHAIN=local \
    GOPROXY=off \
    GOFLAGS=-mod=readonly
