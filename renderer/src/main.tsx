import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@fontsource-variable/inter";
import "@fontsource-variable/jetbrains-mono";
import "./styles.css";
import { App } from "./App";
import { connect } from "./events";
import { useApp } from "./stores/app";

createRoot(document.getElementById("root")!).render(
    <StrictMode>
        <App />
    </StrictMode>,
);

connect().catch((error: Error) => useApp.getState().notify({ kind: "error", title: "Could not reach the app core", text: error.message }, 0));
