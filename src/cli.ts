#!/usr/bin/env node
// Headless entry point; grows into `scene-to-video render` with issue 4.
console.log('scene-to-video');
