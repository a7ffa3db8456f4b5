"""Service layer: the views call these; each public function commits once."""
