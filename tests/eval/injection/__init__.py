"""The injection suite (issue 16): cases as data, a compromised model, detectors, scores."""
