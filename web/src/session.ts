import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api.js';

export const SessionContext = createContext<Me | null>(null);
export const useMe = () => useContext(SessionContext);
