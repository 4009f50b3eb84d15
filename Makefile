# The same commands as the README; all go through dev.py (stdlib only). Extra arguments:
# make test ARGS="-x -k health"
PYTHON ?= python3

.PHONY: serve test lint

serve:
	$(PYTHON) dev.py serve $(ARGS)

test:
	$(PYTHON) dev.py test $(ARGS)

lint:
	$(PYTHON) dev.py lint
