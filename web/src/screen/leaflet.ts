// Leaflet with the marker-cluster plugin, which attaches itself to a global `L`: the
// global is set in its own module so that it is evaluated before the plugin's.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';

(window as Window & { L?: typeof L }).L = L;

export default L;
