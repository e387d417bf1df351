"""khomun's tests (a package, so helpers are imported one way: ``from tests.fakes... import``)."""
