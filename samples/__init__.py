"""Generated demo photos with labels (spec/labels.md) and the generator that makes them."""
