"""caseflow shared library: contracts and plumbing every service uses; imports no service."""
