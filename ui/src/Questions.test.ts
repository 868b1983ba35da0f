// Questions a connector's server asks while one of its tools runs (MCP elicitation): the window
// shows who asks and the server's form, checks what the person typed before anything is sent,
// sends typed values (numbers as numbers, choices by value, several choices as a list), and
// passes Decline and Cancel on. A URL is shown with Copy, never opened. Rust is faked.
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { collect, fieldsOf, initialValues } from './lib/questions';
import { EVENTS, type InputRequested } from './lib/types';
import { calls, emit, fakeClipboard, renderWith, resetTauri, type, u64 } from './test-support';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

const SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', title: 'City', description: 'Where the trip goes', minLength: 2 },
    nights: { type: 'integer', title: 'Nights', minimum: 1, maximum: 14, default: 3 },
    budget: { type: 'number', title: 'Budget (EUR)' },
    breakfast: { type: 'boolean', title: 'Breakfast included', default: true },
    room: {
      type: 'string',
      title: 'Room',
      oneOf: [
        { const: 'single', title: 'Single room' },
        { const: 'double', title: 'Double room' },
      ],
      default: 'double',
    },
    extras: {
      type: 'array',
      title: 'Extras',
      items: { type: 'string', enum: ['parking', 'late-checkout', 'pets'] },
    },
  },
  required: ['city', 'nights'],
};

function question(overrides: Partial<InputRequested> = {}): InputRequested {
  return {
    id: 'input-1',
    connector: 'Travel',
    message: 'Where should the booking go?',
    schema: SCHEMA,
    url: null,
    limit_secs: u64(600),
    ...overrides,
  };
}

function field(name: string): HTMLElement {
  return screen.getByTestId(`question-field-${name}`);
}

function input(name: string): HTMLInputElement {
  const element = field(name).querySelector('input, select');
  if (!element) throw new Error(`no input for ${name}`);
  return element as HTMLInputElement;
}

beforeEach(() => {
  resetTauri();
  localStorage.clear();
});

describe('the form a question asks for', () => {
  it('reads every kind of field the spec allows, with defaults', () => {
    const fields = fieldsOf(SCHEMA);
    expect(fields.map((f) => `${f.name}:${f.kind}${f.required ? '*' : ''}`)).toEqual([
      'city:text*',
      'nights:number*',
      'budget:number',
      'breakfast:boolean',
      'room:choice',
      'extras:multi',
    ]);
    expect(initialValues(SCHEMA, fields)).toEqual({
      city: '',
      nights: '3',
      budget: '',
      breakfast: true,
      room: 'double',
      extras: [],
    });
  });

  it('names each problem and sends nothing until all are fixed', () => {
    const fields = fieldsOf(SCHEMA);
    const values = { ...initialValues(SCHEMA, fields), city: 'L', nights: '2.5', budget: 'lots' };
    expect(collect(fields, values)).toEqual({
      problems: {
        city: 'At least 2 characters.',
        nights: 'A whole number.',
        budget: 'A number.',
      },
    });
    const fixed = { ...values, city: 'Lisbon', nights: '4', budget: '', extras: ['pets'] };
    expect(collect(fields, fixed)).toEqual({
      content: { city: 'Lisbon', nights: 4, breakfast: true, room: 'double', extras: ['pets'] },
    });
  });
});

describe('a question in the window', () => {
  it('shows who asks and sends the typed answer', async () => {
    await renderWith([], { answer_input: () => null });
    await emit(EVENTS.inputRequested, question());

    expect(await screen.findByRole('heading', { name: 'Travel asks' })).toBeTruthy();
    expect(screen.getByTestId('question-message').textContent).toBe(
      'Where should the booking go?',
    );
    await fireEvent.click(screen.getByTestId('question-send'));
    expect(field('city').textContent).toContain('Required.');
    expect(calls('answer_input')).toEqual([]);

    await type(input('city'), 'Lisbon');
    await type(input('nights'), '15');
    await fireEvent.click(screen.getByTestId('question-send'));
    expect(field('nights').textContent).toContain('14 or less.');
    await type(input('nights'), '5');
    await fireEvent.change(input('room'), { target: { value: 'single' } });
    await fireEvent.click(screen.getByTestId('question-send'));

    await waitFor(() =>
      expect(calls('answer_input')).toEqual([
        {
          id: 'input-1',
          answer: {
            action: 'accept',
            content: { city: 'Lisbon', nights: 5, breakfast: true, room: 'single' },
          },
        },
      ]),
    );
    expect(screen.queryByTestId('question-dialog')).toBeNull();
  });

  it('passes Decline on, then shows the next question, and goes when Rust withdraws one', async () => {
    await renderWith([], { answer_input: () => null });
    await emit(EVENTS.inputRequested, question());
    await emit(EVENTS.inputRequested, question({ id: 'input-2', connector: 'Mail' }));

    await fireEvent.click(await screen.findByTestId('question-decline'));
    await waitFor(() =>
      expect(calls('answer_input')).toEqual([
        { id: 'input-1', answer: { action: 'decline', content: null } },
      ]),
    );
    expect(await screen.findByRole('heading', { name: 'Mail asks' })).toBeTruthy();

    await emit(EVENTS.inputClosed, { id: 'input-2' });
    await waitFor(() => expect(screen.queryByTestId('question-dialog')).toBeNull());
  });

  it('shows a page the server wants visited, with Copy, and never opens it', async () => {
    const writeText = fakeClipboard();
    const open = vi.spyOn(window, 'open');
    await renderWith([], { answer_input: () => null });
    await emit(
      EVENTS.inputRequested,
      question({ schema: null, url: 'https://travel.example/confirm?booking=42' }),
    );

    expect((await screen.findByTestId('question-url')).textContent).toBe(
      'https://travel.example/confirm?booking=42',
    );
    await fireEvent.click(screen.getByRole('button', { name: /Copy address/ }));
    expect(writeText).toHaveBeenCalledWith('https://travel.example/confirm?booking=42');
    await fireEvent.click(screen.getByTestId('question-send'));
    await waitFor(() =>
      expect(calls('answer_input')).toEqual([
        { id: 'input-1', answer: { action: 'accept', content: null } },
      ]),
    );
    expect(open).not.toHaveBeenCalled();
  });

  it('cancels with Escape', async () => {
    await renderWith([], { answer_input: () => null });
    await emit(EVENTS.inputRequested, question());
    await screen.findByTestId('question-dialog');
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    await waitFor(() =>
      expect(calls('answer_input')).toEqual([
        { id: 'input-1', answer: { action: 'cancel', content: null } },
      ]),
    );
  });
});
