"""One router per area: ask, search, posts, health (+ metrics), admin (+ insights), feedback."""
