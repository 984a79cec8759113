"""The action-map language: model, input names, validation, loading, local overrides, the
registry."""
