import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { rememberedTheme, showTheme } from './lib/theme';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// The first frame in the theme the person chose, before Rust's settings arrive.
showTheme(rememberedTheme());

export default mount(App, { target });
