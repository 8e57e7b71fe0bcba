# A throwaway container for grading a room with `passk grade` (solutions/README.md, "Grading a room").
# Built from Debian and PyPI only; the course's hidden tests ship inside the installed package.
#
#   docker build -t passk-grade .                                   # in a clone of the repository
#   docker run --rm --network none --memory 16g --pids-limit 8192 --cpus 8 \
#       -v "$PWD/room:/room:ro" -v "$PWD/out:/out" passk-grade \
#       sh -c 'passk grade /room/*/*.ipynb --jobs 8 --out /out/grades.csv --gradebook /out/gradebook.csv'
#   (sh -c: the container's shell expands /room/*/*.ipynb, the host's cannot)
#
# PyTorch comes from PyPI, whose Linux wheel carries CUDA (a large image, fine on a CPU). For a smaller
# image, a CPU build: --build-arg TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu".
FROM debian:bookworm-slim

ARG TORCH_SPEC=torch
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/passk/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/passk

# PyTorch first and on its own (as scripts/bootstrap.py does), then the course package with what the
# notebooks need ([course]: the kernel, nbclient, psutil for the per-submission caps, the chart stack).
RUN pip install $TORCH_SPEC
COPY . /src
RUN pip install "/src[course]" && rm -rf /src && passk grade --help >/dev/null

WORKDIR /out
CMD ["passk", "grade", "--help"]
