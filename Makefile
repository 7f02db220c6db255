# The project's commands. `make test` is the one test command; `make demo`
# deploys the stack to the local target and verifies it.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
COLLECTION_LINK := .collections/ansible_collections/coinpilot/monitoring
STAGE := rig/stage.sh
SCENARIOS ?= $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))

.PHONY: setup engine images lint sanity pytest molecule test demo demo-clean build clean

setup: ## virtualenv from requirements.txt, and the collection link (safe to rerun)
	@rig/venv.sh
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../.. $(COLLECTION_LINK)

engine: ## a Docker engine that answers (reused, or started)
	@rig/engine.sh

images: engine ## the rig's images, built locally and reused by recipe hash, and the key to log in to its hosts
	@rig/images.sh
	@rig/login-key.sh

lint: setup
	yamllint -s .
	ansible-lint

sanity: setup
	@rig/sanity.sh

pytest: setup images
	pytest -q tests

molecule: setup images
	@set -e; for s in $(SCENARIOS); do $(STAGE) "molecule $$s" rig/molecule.sh $$s; done

test: ## every test: lint, sanity, pytest, molecule
	@start=$$SECONDS; set -e; \
	$(STAGE) setup $(MAKE) -s setup; \
	$(STAGE) images $(MAKE) -s images; \
	$(STAGE) "yamllint + ansible-lint" $(MAKE) -s lint; \
	$(STAGE) "ansible-test sanity" $(MAKE) -s sanity; \
	$(STAGE) pytest $(MAKE) -s pytest; \
	$(MAKE) -s molecule; \
	echo; echo "make test: all stages passed in $$((SECONDS - start)) s"

demo: setup images ## the stack on a local target, verified; prints its URLs
	@rig/demo.sh up

demo-clean: ## remove the demo's target and everything deployed in it
	@rig/demo.sh clean

build: setup ## the collection tarball
	ansible-galaxy collection build --force .

clean:
	rm -rf .collections coinpilot-monitoring-*.tar.gz tests/output
