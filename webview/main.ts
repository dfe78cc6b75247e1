// The scene panel's browser bundle; grows with issue 5.
export {};
