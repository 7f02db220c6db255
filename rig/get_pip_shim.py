"""Stand-in for pip's get-pip.py bootstrap script.

ansible-test bootstraps pip into its sanity virtualenvs with a get-pip.py that it
downloads from a host this machine cannot reach. This does the same job with
the standard library's ensurepip and then pip itself, from the package index
that pip is already configured to use.
"""
import subprocess
import sys

# get-pip.py's own switches; plain pip does not know them.
OWN_FLAGS = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in OWN_FLAGS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args))
