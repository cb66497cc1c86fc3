# The few targets people expect. `make demo` runs the product end to end; `make test` runs
# every test (Python and PHP) against the real services of this machine.
SHELL := /bin/bash
VENV := .venv/bin
PHPUNIT ?= phpunit

.PHONY: setup services demo run test test-python test-php lint bench clean

setup:
	@bash scripts/setup.sh

services:
	@bash scripts/services.sh

demo: setup services
	$(VENV)/hfexact demo

run: demo

test: setup services
	@status=0; \
	$(VENV)/pytest -q -p no:cacheprovider || status=$$?; \
	$(PHPUNIT) -c php-bridge/phpunit.xml.dist || status=$$?; \
	exit $$status

test-python: setup services
	$(VENV)/pytest -q -p no:cacheprovider

test-php: setup services
	$(PHPUNIT) -c php-bridge/phpunit.xml.dist

lint: setup
	$(VENV)/ruff check worker tests bench
	$(VENV)/mypy
	@find php-bridge -name '*.php' -print0 | xargs -0 -n1 php -l >/dev/null && echo "php -l: clean"

bench: setup services
	$(VENV)/python -m bench.run

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache var
