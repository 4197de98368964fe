export { imageInspect as default } from './inspect.js';
