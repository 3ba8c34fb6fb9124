"""One map (一张图): risk, supply, rescue and shelter layers as GeoJSON."""
